"""Locust users for `python -m ops load` (run by Locust from the bench virtualenv, never imported by the app).

Each user posts payments at a constant rate (LOAD_RPS_PER_USER), each with a fresh idempotency key marked
`load-`, so that load-test payments can be told apart in the ledger and the logs. With mutual TLS, the client
certificate and key come from LOAD_CLIENT_CERT and LOAD_CLIENT_KEY.
"""

from __future__ import annotations

import os
import uuid

from locust import HttpUser, constant_throughput, task


class PaymentUser(HttpUser):
    wait_time = constant_throughput(float(os.environ.get("LOAD_RPS_PER_USER", "1")))

    def on_start(self) -> None:
        certificate, key = os.environ.get("LOAD_CLIENT_CERT"), os.environ.get("LOAD_CLIENT_KEY")
        if certificate and key:
            self.client.cert = (certificate, key)

    @task
    def pay(self) -> None:
        body = {"amount": "1.00", "currency": "EUR", "idempotency_key": f"load-{uuid.uuid4().hex}"}
        self.client.post("/payments", json=body, name="POST /payments")
