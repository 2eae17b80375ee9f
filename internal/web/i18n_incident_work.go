package web

// incidentWorkMessages are the strings of the incident page's working actions and who may take them.
var incidentWorkMessages = map[string]msg{}
