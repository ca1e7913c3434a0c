import AgentGantry
import ArgumentParser

/// `--weight feedback=0.2`: one signal's weight.
struct SignalWeight: ExpressibleByArgument {
    var signal: Signal
    var value: Double

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let signal = Signal(name: parts[0]), let value = Double(parts[1]), value.isFinite, value >= 0 else {
            return nil
        }
        (self.signal, self.value) = (signal, value)
    }
}
