"""The declarative topic catalog (topics.yaml): its model, the plan against a cluster, and apply."""
