import GantryMath

/// The one way training data is held out in AgentGantry: by distinct request, into three folds.
///
/// - `training`: what the trainer learns from;
/// - `selection`: what chooses among the trainer's checkpoints (early stopping, the averaged
///   parameters) — the trainer's validation;
/// - `gate`: what decides whether the chosen adapter replaces the state being served, used by
///   nothing else (`TrainingGate`), so the decision is made on requests neither training nor
///   selection saw.
///
/// Every example of one request (`RequestGroups`: equal text or near-duplicate vectors) is in
/// the same fold, so a request asked many times cannot be learned in training and then scored
/// in a held-out fold. Requests are dealt to folds in a seeded random order. `AgentGantry.train()`,
/// `gantry train` and `TripletTrainer` all split this way.
public struct RequestSplit: Sendable, Equatable {
    /// Example indices the trainer learns from, ascending.
    public var training: [Int]
    /// Example indices that select the checkpoint, ascending.
    public var selection: [Int]
    /// Example indices the gate decides on, ascending (empty without a gate fold).
    public var gate: [Int]
    /// Distinct requests of the training fold.
    public var trainingRequests: Int
    /// Distinct requests of the selection fold.
    public var selectionRequests: Int
    /// Distinct requests of the gate fold.
    public var gateRequests: Int
    /// The grouping the folds were dealt from.
    public var groups: RequestGroups

    /// Deals the requests of `groups`: `round(selectionFraction · requests)` (at least one, at most
    /// `selectionLimit`) to selection, `round(gateFraction · requests)` (at most `gateLimit`) to the
    /// gate (none when `gateFraction` is 0), the rest (at least one) to training. The limits keep
    /// large logs for training: a few hundred requests choose an epoch and decide as well as
    /// thousands. Throws `AdaptError.invalidSetting` when the requests are too few for that,
    /// naming how many there are and how many are needed.
    ///
    /// `gateCandidates` (nil: every request) are the requests the gate may hold: when an adapter
    /// is being served, those it was not trained on. The others stay where the deal puts them
    /// otherwise (a gate place they would take goes to the next candidate), so the gate never
    /// judges the served adapter on requests it learned — a shuffle of a grown log deals a fresh
    /// fifth of them into each new gate, and there the served adapter looks better than it is.
    public init(groups: RequestGroups, selectionFraction: Double, gateFraction: Double, selectionLimit: Int = .max, gateLimit: Int = .max,
                seed: UInt64, gateCandidates: Set<Int>? = nil) throws(AdaptError) {
        guard selectionFraction > 0, selectionFraction < 1, gateFraction >= 0, gateFraction < 1,
              selectionFraction + gateFraction < 1 else {
            throw .invalidSetting("selection (\(selectionFraction)) and gate (\(gateFraction)) fractions must be in [0, 1) "
                                  + "with selection above 0 and their sum below 1")
        }
        guard selectionLimit >= 1, gateLimit >= 1 else { throw .invalidSetting("the selection and gate limits must be at least 1") }
        let requests = groups.count
        let (selectionCount, gateCount) = Self.foldSizes(requests: requests, selectionFraction: selectionFraction, gateFraction: gateFraction,
                                                         selectionLimit: selectionLimit, gateLimit: gateLimit)
        guard requests >= selectionCount + gateCount + 1 else {
            throw .invalidSetting("\(requests) distinct requests: too few to hold out \(selectionCount) for selection"
                                  + (gateCount > 0 ? " and \(gateCount) for the gate" : "") + " and train on the rest")
        }
        var rng = SplitMix64(seed: seed ^ 0x5E1EC7)
        var order = Array(0..<requests)
        order.shuffle(using: &rng)
        var fold = [UInt8](repeating: 0, count: requests)  // 0 training, 1 selection, 2 gate
        for request in order.prefix(selectionCount) { fold[request] = 1 }
        var gateTaken = 0
        for request in order.dropFirst(selectionCount) where gateTaken < gateCount && gateCandidates?.contains(request) != false {
            fold[request] = 2
            gateTaken += 1
        }
        var folds: [[Int]] = [[], [], []]
        for (example, request) in groups.requestOfExample.enumerated() { folds[Int(fold[request])].append(example) }
        (training, selection, gate) = (folds[0], folds[1], folds[2])
        (trainingRequests, selectionRequests, gateRequests) = (requests - selectionCount - gateTaken, selectionCount, gateTaken)
        self.groups = groups
    }

    /// Throws `AdaptError.invalidSetting` unless this split was made over `examples` (one request
    /// number per example).
    func check(covers examples: TrainingExamples) throws(AdaptError) {
        guard groups.requestOfExample.count == examples.queries.rows else {
            throw .invalidSetting("the split covers \(groups.requestOfExample.count) examples, not \(examples.queries.rows)")
        }
    }

    /// How many of `requests` go to selection and to the gate (the rest train).
    static func foldSizes(requests: Int, selectionFraction: Double, gateFraction: Double, selectionLimit: Int,
                          gateLimit: Int) -> (selection: Int, gate: Int) {
        let selection = min(selectionLimit, max(1, Int((Double(requests) * selectionFraction).rounded())))
        let gate = gateFraction == 0 ? 0 : min(gateLimit, max(1, Int((Double(requests) * gateFraction).rounded())))
        return (selection, gate)
    }

    /// Fewest distinct requests `configuration` splits into a selection fold, a gate fold of at
    /// least `gateRequests`, and at least one training request (nil when the gate can never hold
    /// that many: `gateRequestsLimit` below it, or no gate fold).
    public static func minimumRequests(_ c: TrainingConfiguration, gateRequests: Int) -> Int? {
        guard c.gateFraction > 0, c.gateRequestsLimit >= gateRequests else { return nil }
        // round(n·g) ≥ k from n ≥ (k − ½)/g on; then step up to where selection and training fit too.
        var requests = max(gateRequests + 2, Int((Double(gateRequests) - 0.5) / c.gateFraction) - 1)
        for _ in 0..<1_000_000 {
            let (selection, gate) = foldSizes(requests: requests, selectionFraction: c.validationFraction, gateFraction: c.gateFraction,
                                              selectionLimit: c.selectionRequestsLimit, gateLimit: c.gateRequestsLimit)
            if gate >= gateRequests, requests >= selection + gate + 1 { return requests }
            requests += 1
        }
        return nil
    }

    /// The split `configuration` asks for over `groups`: `validationFraction` of the requests (at
    /// most `selectionRequestsLimit`) for selection and, with `holdingOutGate`, `gateFraction` (at
    /// most `gateRequestsLimit`) for the gate, taken among `gateCandidates` (nil: any); seeded by
    /// `configuration.seed`.
    public init(groups: RequestGroups, configuration c: TrainingConfiguration, holdingOutGate: Bool,
                gateCandidates: Set<Int>? = nil) throws(AdaptError) {
        try self.init(groups: groups, selectionFraction: c.validationFraction, gateFraction: holdingOutGate ? c.gateFraction : 0,
                      selectionLimit: c.selectionRequestsLimit, gateLimit: c.gateRequestsLimit, seed: c.seed, gateCandidates: gateCandidates)
    }

    /// The split `configuration` asks for over `examples`, their requests grouped by the examples'
    /// texts and vectors (`nearDuplicateCosine`).
    public init(_ examples: TrainingExamples, configuration: TrainingConfiguration, holdingOutGate: Bool) throws(AdaptError) {
        let groups = try RequestGroups(texts: examples.texts, vectors: examples.queries,
                                       nearDuplicateCosine: configuration.nearDuplicateCosine)
        try self.init(groups: groups, configuration: configuration, holdingOutGate: holdingOutGate)
    }
}
