"""Events between services: a transactional outbox, a relay, and idempotent consumers.

A state change and the event describing it are written in one MongoDB transaction (the
outbox), so an event exists if and only if the change happened. A relay publishes the outbox
to RabbitMQ (or, without a broker, pushes it to the peer services over HTTP) and marks what
was confirmed. Consumers record each event id in the same transaction as their own change, so
a redelivered event is acknowledged without being applied twice.
"""
