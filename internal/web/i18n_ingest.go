package web

// ingestMessages are the strings of log shipping (ingest keys, limits) and decisions.
var ingestMessages = map[string]msg{}
