package web

// accountMessages are the strings of accounts, sign-in, passwords, settings, the audit log and webhooks.
var accountMessages = map[string]msg{}
