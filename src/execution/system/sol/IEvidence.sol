// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin Evidence — native system contract at 0x0000000000000000000000000000000000001004
/// @notice Proofs of witness misbehaviour. The offender loses 100 trust and a slice of its pledge
///         goes to the shared pool. Anyone may submit; the submitter pays gas and is not rewarded.
interface IEvidence {
    /// @param kind 1 = double production, 2 = invalid block (timestamp off the slot grid)
    event EvidenceAccepted(address indexed producer, uint256 slot, uint8 kind, uint256 slashed);

    /// @notice Two RLP-encoded signed headers by the same producer for the same slot.
    function submitDoubleProduction(bytes calldata headerA, bytes calldata headerB) external;

    /// @notice One RLP-encoded signed header whose timestamp is off the slot grid or before genesis.
    function submitInvalidBlock(bytes calldata header) external;
}
