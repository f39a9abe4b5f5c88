package sync

// progressState accumulates per-resource counters under engine.mu.
type progressState struct {
	mode      string
	resources map[string]*ResourceProgress
}

// page counts one page of resource read and reports progress.
func (e *engine) page(resource string, items int) {
	e.markStart()
	e.mu.Lock()
	rp := e.resourceLocked(resource)
	rp.Pages++
	rp.Items += items
	e.mu.Unlock()
	e.report(false)
}

// done marks resource as completely read.
func (e *engine) done(resource string) {
	e.mu.Lock()
	e.resourceLocked(resource).Done = true
	e.mu.Unlock()
	e.report(false)
}

func (e *engine) resourceLocked(resource string) *ResourceProgress {
	if e.progress.resources == nil {
		e.progress.resources = map[string]*ResourceProgress{}
	}
	rp, ok := e.progress.resources[resource]
	if !ok {
		rp = &ResourceProgress{Resource: resource}
		e.progress.resources[resource] = rp
	}
	return rp
}

// report sends a snapshot to Options.Progress, one call at a time.
func (e *engine) report(final bool) {
	if e.opts.Progress == nil {
		return
	}
	stats := e.c.Stats()
	e.mu.Lock()
	defer e.mu.Unlock()
	p := Progress{
		Mode:           e.progress.mode,
		Requests:       stats.Requests - e.statsBefore.Requests,
		ThrottledWaits: stats.ThrottledWaits - e.statsBefore.ThrottledWaits,
		Done:           final,
	}
	for _, name := range resourceOrder {
		if rp, ok := e.progress.resources[name]; ok {
			p.Resources = append(p.Resources, *rp)
		}
	}
	e.opts.Progress(p)
}
