package oktasim

// beforeProfileWrite records, for Options.SearchLag, what `search` keeps
// seeing of g while the write about to happen at now replicates: its
// current searchable state (nil for a group being created, which search
// does not see yet). Several writes within one lag show the state before
// the first until the last has replicated. Callers hold s.mu for writing.
func (s *Sim) beforeProfileWrite(g *group, creating bool, now int64) {
	if s.opts.SearchLag < 0 {
		return
	}
	if g.searchDue <= now { // nothing pending: the index shows g as it is
		g.searchPrev = nil
		if !creating {
			g.searchPrev = &group{id: g.id, seq: g.seq, typ: g.typ, name: g.name, description: g.description, custom: g.custom,
				created: g.created, lastUpdated: g.lastUpdated, lastMembershipUpdated: g.lastMembershipUpdated}
		}
	}
	g.searchDue = now + s.opts.SearchLag.Milliseconds()
}

// searchView is g as `search` sees it at now: g itself once its last
// write has replicated, else its earlier state (nil: not yet visible).
func (g *group) searchView(now int64) *group {
	if now < g.searchDue {
		return g.searchPrev
	}
	return g
}
