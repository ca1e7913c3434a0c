extension AgentGantry {
    /// Builds or extends the feedback memory's HNSW graphs (`FeedbackMemory.graphJob()`), one
    /// job at a time, on a low-priority thread (`BackgroundThread`), and installs each in the state
    /// as it is then (dropping it when the state was folded again from the log meanwhile). Called
    /// after every publication; retrievals keep reading the published snapshot meanwhile.
    func buildMemoryGraphs() {
        guard memoryGraphBuild == nil, let job = state.memory.graphJob() else { return }
        memoryGraphBuild = Task { [weak self] in
            let graph = await BackgroundThread.run { try? job.build() }
            await self?.finishMemoryGraph(graph)
        }
    }

    private func finishMemoryGraph(_ graph: SegmentGraph?) {
        memoryGraphBuild = nil
        guard let graph else { return }  // rows that were indexed once cannot fail to build: nothing to retry
        if state.installMemoryGraph(graph) { publish() } else { buildMemoryGraphs() }
    }
}
