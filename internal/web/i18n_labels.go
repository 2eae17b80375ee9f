package web

// labelMessages are the strings of Bahasa labels of domain codes (rule families, clocks, kinds).
var labelMessages = map[string]msg{}
