import AgentGantry

extension Tool {
    /// A dataset's tool as a registered tool (its parameters as a schema of string properties, so
    /// that the embedded text is the dataset's).
    public init(datasetTool t: RetrievalDataset.Tool) {
        let properties = Dictionary(uniqueKeysWithValues: t.parameterNames.map { ($0, JSONValue.object(["type": .string("string")])) })
        self.init(name: t.id, description: t.description, tags: t.tags,
                  parameters: t.parameterNames.isEmpty ? nil : .object(["type": .string("object"), "properties": .object(properties)]))
    }
}
