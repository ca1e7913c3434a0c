@_spi(StoreImplementation) import AgentGantry

extension StoreConformance {
    /// A lease is held by one handle (one process) at a time: another handle's attempt gets nil,
    /// another lease of the store is free meanwhile, and once released the other handle takes it
    /// — at once, or within the factory's `releaseDelay` where a release is a statement the store
    /// sends on its own (PostgreSQL's advisory unlock: a take right after the release raced it
    /// under load).
    static func leasesAreExclusive(_ factory: StoreFactory) async throws {
        let a = try await factory.open(), b = try await factory.open()
        guard let held = try await a.takeLease("mcp.supervisor") else {
            throw StoreConformanceFailure(description: "the first handle could not take a free lease")
        }
        try check(try await b.takeLease("mcp.supervisor") == nil, "a second handle took a lease the first holds")
        let other = try await b.takeLease("another")
        try check(other != nil, "a lease of another name was refused while the first was held")
        other?.release()
        held.release()
        var taken = try await b.takeLease("mcp.supervisor")
        let deadline = ContinuousClock.now + factory.releaseDelay
        while taken == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            taken = try await b.takeLease("mcp.supervisor")
        }
        try check(taken != nil, "a released lease could not be taken by another handle within \(factory.releaseDelay)")
        try check(try await a.takeLease("mcp.supervisor") == nil, "the lease went back to the first handle while the second holds it")
        taken?.release()
    }
}
