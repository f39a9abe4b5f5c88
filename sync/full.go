package sync

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// full lists the whole org into a new generation and commits it.
func (e *engine) full(ctx context.Context, run *directory.SyncRun) error {
	w, err := e.st.BeginFull()
	if err != nil {
		return fmt.Errorf("start full sync: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = w.Abort()
		}
	}()

	// One failure anywhere stops everything: the top-level listings and
	// the per-group/per-app listings share one cancellable context, whose
	// cause is that first failure (a listing it stopped may return its
	// "context canceled" to the group before the failure itself).
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var g, children errgroup.Group
	children.SetLimit(e.opts.Workers)
	goCancel := func(eg *errgroup.Group, fn func(context.Context) error) {
		eg.Go(func() error {
			err := fn(ctx)
			if err != nil {
				cancel(err)
			}
			return err
		})
	}
	child := func(fn func(context.Context) error) { goCancel(&children, fn) }

	goCancel(&g, func(ctx context.Context) error { return e.fullUsers(ctx, w) })
	goCancel(&g, func(ctx context.Context) error {
		groups, err := listFull(ctx, e, w, "groups", e.c.ListGroups, w.PutGroups, store.ResGroups, store.ResMemberships)
		for _, gr := range groups {
			child(func(ctx context.Context) error { return e.fullMembers(ctx, w, gr.ID) })
		}
		return err
	})
	goCancel(&g, func(ctx context.Context) error {
		apps, err := listFull(ctx, e, w, "apps", e.c.ListApps, w.PutApps, store.ResApps, store.ResAppUsers, store.ResAppGroups)
		for _, a := range apps {
			child(func(ctx context.Context) error { return e.fullAppUsers(ctx, w, a.ID) })
			child(func(ctx context.Context) error { return e.fullAppGroups(ctx, w, a.ID) })
		}
		return err
	})
	err = firstCause(g.Wait(), children.Wait())
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
		return err
	}
	for _, r := range []string{"memberships", "app_users", "app_groups"} {
		e.done(r)
	}

	start := e.runStart()
	w.SetCursor(cursorSince, formatCursor(start))
	w.SetCursor(cursorLogs, formatCursor(start))
	w.SetCursor(cursorLastFull, formatCursor(start))
	e.fillStats(run)
	committedRun, err := w.Commit(*run, e.journal.Entries())
	if err != nil {
		return fmt.Errorf("commit full sync: %w", err)
	}
	committed = true
	*run = committedRun
	return nil
}

// fullUsers lists every user, including the DEPROVISIONED ones a plain
// listing leaves out. The two listings run side by side: each is a chain
// of pages that cannot be split, the longest of a full sync.
func (e *engine) fullUsers(ctx context.Context, w *store.FullWriter) error {
	put := func(page []directory.User) error {
		e.page("users", len(page))
		return w.PutUsers(page)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, q := range []okta.Query{{}, {Filter: okta.FilterDeprovisioned}} {
		g.Go(func() error { return e.c.ListUsers(gctx, q, put) })
	}
	if err := g.Wait(); err != nil {
		return e.keepOnForbidden(w, err, "users", store.ResUsers)
	}
	e.done("users")
	return nil
}

func (e *engine) fullMembers(ctx context.Context, w *store.FullWriter, groupID string) error {
	err := e.c.ListGroupMembers(ctx, groupID, func(ids []string) error {
		e.page("memberships", len(ids))
		return w.PutMembers(groupID, ids)
	})
	return e.childError(w, err, "memberships", store.ResMemberships+":"+groupID)
}

func (e *engine) fullAppUsers(ctx context.Context, w *store.FullWriter, appID string) error {
	err := e.c.ListAppUsers(ctx, appID, func(page []directory.AppUser) error {
		e.page("app_users", len(page))
		return w.PutAppUsers(appID, page)
	})
	return e.childError(w, err, "app_users", store.ResAppUsers+":"+appID)
}

func (e *engine) fullAppGroups(ctx context.Context, w *store.FullWriter, appID string) error {
	err := e.c.ListAppGroups(ctx, appID, func(page []directory.AppGroup) error {
		e.page("app_groups", len(page))
		return w.PutAppGroups(appID, page)
	})
	return e.childError(w, err, "app_groups", store.ResAppGroups+":"+appID)
}

// listFull lists every object of one resource into the full-sync writer
// (put) and returns them, for their children to be listed. When it cannot,
// it returns none, and keepOnForbidden says whether that fails the sync or
// keeps the resources keep from the previous generation.
func listFull[T any](ctx context.Context, e *engine, w *store.FullWriter, resource string,
	list func(context.Context, okta.Query, func([]T) error) error, put func([]T) error, keep ...string) ([]T, error) {
	var all []T
	err := list(ctx, okta.Query{}, func(page []T) error {
		e.page(resource, len(page))
		all = append(all, page...)
		return put(page)
	})
	if err != nil {
		return nil, e.keepOnForbidden(w, err, resource, keep...)
	}
	e.done(resource)
	return all, nil
}

// keepOnForbidden turns a 403 on a whole resource into partial data: the
// cache keeps what it had for keep. Other errors fail the run.
func (e *engine) keepOnForbidden(w *store.FullWriter, err error, resource string, keep ...string) error {
	if !okta.IsForbidden(err) {
		return fmt.Errorf("list %s: %w", resource, err)
	}
	e.forbid(resource, err)
	for _, k := range keep {
		if kerr := w.KeepFromPrevious(k); kerr != nil {
			return kerr
		}
	}
	return nil
}

// childError handles an error listing one group's or app's children: a
// 404 means the parent was deleted while the sync ran (the next sync
// archives it), a 403 is partial data for that parent.
func (e *engine) childError(w *store.FullWriter, err error, resource, keep string) error {
	if err == nil || okta.IsNotFound(err) {
		return nil
	}
	return e.keepOnForbidden(w, err, resource, keep)
}

// firstCause picks the error that caused a cancellation over the
// cancellations it caused in the other goroutines.
func firstCause(errs ...error) error {
	var canceled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			canceled = err
		default:
			return err
		}
	}
	return canceled
}
