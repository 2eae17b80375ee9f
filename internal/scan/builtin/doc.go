// Package builtin holds the scan checks a template language fits poorly:
// TLS, HTTPS redirect and HSTS, security headers graded as the MDN HTTP
// Observatory grades them, CORS, exposures, version disclosure, DNS and
// mail, and a TCP connect scan. Each is a scan.Check; All lists them.
//
// A check reaches the target only through scan.Env (package fetch builds
// it: politeness, the address guard, limits, the User-Agent); it never
// opens a connection of its own, and the checks that guess paths or
// knock on ports say Active() so that they run only under an active
// authorisation. A check never copies a secret it found into a result:
// the .env finding names the keys, not their values.
//
// Every result's template-id is stable, English and prefixed garda-; its
// name may be Bahasa Indonesia. Severities:
//
//	template-id                                severity       why
//	garda-tls-deprecated-protocol              medium         TLS 1.0/1.1 (RFC 8996), one result per version (matcher tls10, tls11)
//	garda-tls-no-modern-protocol               high           neither TLS 1.2 nor 1.3
//	garda-tls-weak-cipher                      high           NULL, anonymous, export, RC4, single DES
//	                                           medium         3DES (SWEET32)
//	                                           low            RSA key exchange (no forward secrecy), CBC with HMAC
//	garda-tls-cert-expired                     high           browsers refuse the site
//	garda-tls-cert-not-yet-valid               high           browsers refuse the site
//	garda-tls-cert-expiring                    low            under 30 days left (days-left in the evidence)
//	garda-tls-self-signed                      medium         browsers refuse; users learn to click through
//	garda-tls-untrusted-chain                  medium         unknown CA or missing intermediate
//	garda-tls-hostname-mismatch                medium         the certificate names another host
//	garda-tls-inventory                        info           versions and suites seen
//	garda-https-missing                        high           no HTTPS at all
//	garda-https-redirect-missing               medium         http:// does not end on https:// (pshtt)
//	garda-hsts-missing                         medium         no (or invalid) Strict-Transport-Security
//	garda-hsts-weak                            low            max-age under 31536000 (pshtt's strong HSTS)
//	garda-hsts                                 info           HSTS strong; preload-ready in the evidence
//	garda-headers-grade                        info           Observatory grade A or B
//	                                           low            grade C
//	                                           medium         grade D or F
//	garda-cors-reflected-origin-credentials    high           any origin may read as the signed-in user
//	garda-cors-null-origin                     high/medium    null origin allowed, with/without credentials
//	garda-cors-wildcard-credentials            medium         * with credentials (browsers refuse, a misconfiguration)
//	garda-cors-reflected-origin                low            any origin may read public responses
//	garda-exposure-git                         high           source and history downloadable
//	garda-exposure-env                         high           secrets (key names in the evidence)
//	garda-exposure-backup                      high           source or database dumps
//	garda-exposure-phpinfo                     medium         configuration, paths, versions
//	garda-exposure-server-status               medium         live requests and client addresses
//	garda-exposure-directory-listing           medium         every file in a directory
//	garda-exposure-admin-panel                 low            an attack surface to put behind a VPN
//	garda-default-page                         low            a server set up and forgotten
//	garda-version-disclosure                   low            a version (CPE 2.3 in the classification)
//	garda-vulnerable-version                   per advisory   data/vulnerable-versions.json (NVD/vendor severity)
//	garda-spf-permissive                       high           +all: anyone may send as the domain
//	garda-spf-missing, garda-spf-invalid       medium         spoofable mail
//	garda-spf-too-many-lookups                 medium         permerror past 10 lookups (RFC 7208 §4.6.4)
//	garda-dmarc-missing                        medium         spoofable mail, no reports
//	garda-dmarc-policy-none                    low            monitoring only
//	garda-caa-missing                          low            any CA may issue
//	garda-dnssec-missing                       low            answers can be forged on path
//	garda-dangling-cname                       high           subdomain takeover
//	garda-port-exposed-service                 critical       docker API (2375)
//	                                           high           databases, caches, SMB, telnet, VNC, kubelet, NFS
//	                                           medium         ftp, rdp, rpcbind, msrpc
//	garda-port-open                            info           any other open port
package builtin
