// Command genscopes writes package oktaspec's operation → scope table from
// the Okta SDK's OpenAPI spec. Run it through `go generate ./internal/oktaspec`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/dirdeck/dirdeck/internal/oktaspec/internal/gen"
)

func main() {
	out := flag.String("o", "scopes_gen.go", "output file")
	pkg := flag.String("pkg", "oktaspec", "package name of the output file")
	flag.Parse()
	if err := run(*out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "genscopes:", err)
		os.Exit(1)
	}
}

func run(out, pkg string) error {
	spec, err := gen.SpecPath(context.Background())
	if err != nil {
		return err
	}
	src, err := gen.Generate(pkg, spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
