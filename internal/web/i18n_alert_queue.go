package web

// alertQueueMessages are the strings of the alert queue's groups, promotion and the pickers.
var alertQueueMessages = map[string]msg{}
