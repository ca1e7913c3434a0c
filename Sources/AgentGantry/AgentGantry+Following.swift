extension AgentGantry {
    /// Brings this process in step with what other processes stored since it last looked: today
    /// the adapter version to serve (the newest not withdrawn — published by a `train()` elsewhere
    /// or `gantry train --store`, or left after another process's `forget`), swapped together with
    /// the re-adapted index, so every query is answered by one adapter. Runs every
    /// `configuration.followInterval` on its own; call it to look at once. Costs one
    /// `PRAGMA data_version` read when nothing changed.
    public func followStore() throws(GantryError) {
        guard let changes = try store.changeCounter(), changes != followedChanges else { return }
        followedChanges = changes
        try serveCleanAdapter()
    }
}
