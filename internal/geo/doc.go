// Package geo turns the embedded GeoJSON of Indonesia's 38 provinces into
// SVG path data for the national map that Garda's pages draw on the server.
//
// The map is built once, on first use, from indonesia-geodata (MIT,
// credited in NOTICE): longitude and latitude are projected
// equirectangularly into a fixed-width view box, rounded to a tenth of a
// unit, and each province becomes one path whose data can go straight into
// <path data-region="CODE" d="...">. Province codes are Kemendagri codes;
// package region owns what they mean and what their names are.
//
// This package must never render HTML or SVG documents, pick colours or
// know about incidents, users or scopes: it only supplies geometry, and the
// web package decides how to draw it. It must never fetch map data at run
// time or keep package-level mutable state; every Map it returns is the
// caller's own copy.
package geo
