/// Read access a checkpoint needs beyond the agent's public state (additive; no training code).
extension RLAgent {
    /// The largest RL batch the agent was built for (`settings.batchSize` at construction): the
    /// size of its transition batch. A restore builds the agent with this batch size, then applies
    /// the saved settings, so every buffer has the capacity it had when the agent was saved.
    public var batchCapacity: Int { batch.capacity }
}
