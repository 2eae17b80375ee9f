// Package rpz is Garda's DNS blocklist: the domains whose access the task
// force cuts, published as a Response Policy Zone (draft-vixie-dnsop-dns-rpz)
// that resolvers load as it is, over HTTP (/rpz/<key>/garda.rpz) and by zone
// transfer (AXFR, IXFR from the change journal, TSIG-signed, with NOTIFY).
//
// Every change goes through Block or Unblock, in one transaction with its
// journal rows, the zone serial's move and the audit entry. The package
// never lets a domain it has not validated (IDNA, no wildcard, no address,
// no bare TLD) reach the zone.
package rpz
