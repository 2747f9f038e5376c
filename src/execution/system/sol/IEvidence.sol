// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin Evidence — native system contract at 0x0000000000000000000000000000000000001004
/// @notice Proofs of witness misbehaviour and of flow checkpoint fraud. The offender loses 100 trust and a slice of its pledge
///         (active, unlocking, or unlocked and not yet withdrawn) and of its unwithdrawn traffic rewards goes to the shared
///         pool. Anyone may submit; the submitter pays gas and is not rewarded. A node's pool refuses a proof already
///         applied at its head ("evidence already applied"), so a late duplicate costs no gas.
interface IEvidence {
    /// @param kind 1 = double production, 2 = invalid block (timestamp off the slot grid)
    /// @param slashed wei taken from the pledge and the unwithdrawn traffic rewards together
    event EvidenceAccepted(address indexed producer, uint256 slot, uint8 kind, uint256 slashed);

    /// @notice Two RLP-encoded signed headers by the same producer for the same slot.
    function submitDoubleProduction(bytes calldata headerA, bytes calldata headerB) external;

    /// @notice One RLP-encoded signed header whose timestamp is off the slot grid or before genesis.
    function submitInvalidBlock(bytes calldata header) external;

    /// @notice A flow fraud proof voided entry `entryIndex` of the checkpoint of `cycle`.
    /// @param kind 1 = bad signature, 2 = duplicate seq, 3 = inflated entry
    event FraudProven(uint64 indexed cycle, uint256 indexed entryIndex, uint8 kind);
    /// @notice A signer of a proven-bad checkpoint lost 100 trust and `slashed` wei of its pledge and unwithdrawn traffic rewards.
    event SignerPenalized(address indexed signer, uint64 indexed cycle, uint256 slashed);
    event SliceChallenged(uint64 indexed cycle, uint256 indexed entryIndex, address challenger);

    /// @notice A fraud proof against an entry of a checkpoint in its challenge window:
    ///         RLP([kind, cycle, entryIndex, receipt, second?]). Sender: an active RN or CN.
    function submitFraudProof(bytes calldata proof) external;

    /// @notice Demands the sampled slice of an entry; the provider answers with FlowRewards.openSlice
    ///         before the window ends or the entry is voided. Sender: an active RN or CN.
    function challengeSlice(uint64 cycle, uint256 entryIndex) external;
}
