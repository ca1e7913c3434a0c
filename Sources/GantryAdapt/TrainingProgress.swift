import Foundation
import GantryMath

/// Progress of a run: after every optimisation step, and at the end of every epoch.
public enum TrainingProgress: Sendable {
    case step(epoch: Int, tripletsDone: Int, tripletsInEpoch: Int, loss: Double)
    case epochEnded(EpochReport)
}
