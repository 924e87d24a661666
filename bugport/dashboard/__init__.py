"""The triage web app's server side: serving the built SPA, its CSP, sign-in and public config."""
