// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin Governance — native system contract at 0x0000000000000000000000000000000000001006
/// @notice Stakers propose a change of a governed parameter (fuelPricePerGb, flowCapFactorBps,
///         nfcPriceNb, cnPledge, enPledge, rnPledge) or a grant from the shared pool, and vote with their
///         staked NFC (DESIGN §14). A proposal passes with a quorum of all staked NFC and a majority
///         of the votes cast; it is executed by the chain itself at the first flow-cycle boundary
///         after its vote and timelock (no function executes it). Times are ms since the epoch.
interface IGovernance {
    /// @notice kind 1: set `param` to `value`; kind 2: grant `value` wei from the shared pool to `to`.
    event Proposed(uint256 indexed id, address indexed proposer, uint8 kind, string param, address to, uint256 value, uint256 endsMs);
    event Voted(uint256 indexed id, address indexed voter, bool support, uint256 weight);

    /// @notice Proposes `name` = `value`; the caller must have NFC staked, the value within bounds.
    function proposeParam(string calldata name, uint256 value) external returns (uint256 id);

    /// @notice Proposes a grant of `amount` wei from the shared pool to `to` (at most the pool's balance).
    function proposeGrant(address to, uint256 amount) external returns (uint256 id);

    /// @notice One vote per address per proposal while the vote is open, weighted by the caller's stake.
    function vote(uint256 id, bool support) external;

    function proposalCount() external view returns (uint256);

    /// @notice status: 0 open, 1 executed, 2 rejected, 3 failed (a grant the pool could not pay);
    ///         passing: the votes so far meet the quorum and the majority.
    function proposal(uint256 id)
        external
        view
        returns (
            address proposer,
            uint8 kind,
            string memory param,
            address to,
            uint256 value,
            uint256 endsMs,
            uint256 executableAtMs,
            uint256 yes,
            uint256 no,
            uint256 stake,
            bool passing,
            uint8 status
        );

    /// @notice The block that settled the proposal (executed, rejected or failed), 0 while it is open.
    ///         Execution runs in no transaction, so this is its record (with nfc_getParams' history).
    function settledBlock(uint256 id) external view returns (uint256);

    function hasVoted(uint256 id, address voter) external view returns (bool);

    /// @notice The value of a governed parameter in force now.
    function paramValue(string calldata name) external view returns (uint256);
}
