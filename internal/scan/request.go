package scan

import (
	"context"
	"net/url"
)

// RequestOptions are what a check's request may ask of the Env's
// transport beyond its URL and headers; the Env built by package fetch
// honours them under its guards and politeness.
type RequestOptions struct {
	// ServerName is the TLS server name (SNI) to send instead of the
	// URL's host (nuclei's @tls-sni).
	ServerName string
	// Proxy: send the request to this http:// URL as to a proxy, in
	// absolute form (nuclei's open-proxy checks); it is the host connected
	// to.
	Proxy *url.URL
}

type requestOptionsKey struct{}

// WithRequestOptions returns ctx carrying o for the requests made with it.
func WithRequestOptions(ctx context.Context, o RequestOptions) context.Context {
	return context.WithValue(ctx, requestOptionsKey{}, o)
}

// RequestOptionsFrom returns the options ctx carries, if any.
func RequestOptionsFrom(ctx context.Context) (RequestOptions, bool) {
	o, ok := ctx.Value(requestOptionsKey{}).(RequestOptions)
	return o, ok && (o.ServerName != "" || o.Proxy != nil)
}
