extension SignalValues {
    /// Each signal's default weight (see the providers in `Routing/Signals/`).
    public static var defaultWeights: SignalValues {
        var weights = SignalValues(repeating: 0)
        for signal in Signal.allCases { weights[signal] = signal.provider.defaultWeight }
        return weights
    }
}
