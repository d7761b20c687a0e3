// Package clientip carries the address of the client a request comes from
// in its context, from the door that knows it (web, behind trusted proxies)
// to the services that throttle or record by address (auth, repo).
package clientip

import "context"

type key struct{}

// With records the client's address in ctx.
func With(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, key{}, ip)
}

// From is the address recorded by With, or "".
func From(ctx context.Context) string {
	ip, _ := ctx.Value(key{}).(string)
	return ip
}
