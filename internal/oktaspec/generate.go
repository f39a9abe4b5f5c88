package oktaspec

//go:generate go run ./internal/gen/genscopes -o scopes_gen.go
