"""Alert notifications: subscriptions, silences, webhook and e-mail delivery."""
