"""The public, credential-less view of a shared bug."""
