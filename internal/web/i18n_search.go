package web

// searchMessages are the strings of incident search.
var searchMessages = map[string]msg{}
