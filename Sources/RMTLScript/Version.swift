/// The rmtl software version, recorded in exported results and checkpoints.
public let rmtlVersion = "0.1.0"
