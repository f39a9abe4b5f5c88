// Package access tells an Okta admin, before it hurts, whether dirdeck's
// credential can do what each feature needs and whether a token is about
// to die.
package access
