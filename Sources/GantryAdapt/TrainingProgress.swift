import Foundation
import GantryMath

/// Progress of a run: after every optimisation step, and at the end of every epoch.
public enum TrainingProgress: Sendable {
    /// After an optimisation step of epoch `epoch` (from 1): the triplets of the epoch used so
    /// far and in all, and the mean triplet loss of the epoch's steps so far.
    case step(epoch: Int, tripletsDone: Int, tripletsInEpoch: Int, loss: Double)
    /// At the end of an epoch, with its loss, timings and validation metrics.
    case epochEnded(EpochReport)
}
