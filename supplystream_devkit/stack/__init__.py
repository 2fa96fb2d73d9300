"""The embedded local stack: Apache Kafka (KRaft), Apicurio Registry and PostgreSQL, without Docker.

Every piece of state lives under the stack's home directory (``.stack/`` by default).
"""
