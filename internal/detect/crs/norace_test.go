//go:build !race

package crs

const raceEnabled = false
