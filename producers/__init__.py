"""Source adapters: publish business events (Odoo, webhooks, the simulator) to Kafka."""
