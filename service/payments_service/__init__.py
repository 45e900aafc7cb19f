"""Reference payment service: the container contract the infrastructure relies on."""
