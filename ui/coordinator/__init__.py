"""The coordinator workspace: FAQ, providers and insight pages behind a login."""
