package web

// pageMessages are the strings of the map, province and report pages.
var pageMessages = map[string]msg{}
