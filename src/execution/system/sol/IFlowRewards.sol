// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin FlowRewards — native system contract at 0x0000000000000000000000000000000000001002
/// @notice Checkpoints of the flow side-chains, slice openings, locked traffic rewards with the
///         coin-time bonus, and team vesting. Traffic rewards are credited by the protocol when a
///         checkpoint's challenge window ends: locked 30 days, then unlocking linearly over 180 days.
interface IFlowRewards {
    event CheckpointSubmitted(bytes32 indexed sideChainId, uint64 indexed cycle, bytes32 checkpointHash);
    /// @notice `member` of `cycle`'s committee had not signed its checkpoint by the signing deadline:
    ///         it lost trust and `slashed` wei of its pledge (DESIGN §12).
    event MemberAbsent(uint64 indexed cycle, address indexed member, uint256 slashed);
    /// @notice A slice challenge on entry `entryIndex` of `cycle` was answered with leaf `leafIndex`.
    event SliceOpened(uint64 indexed cycle, uint256 indexed entryIndex, uint32 leafIndex);
    /// @notice `amount` unlocked reward and `bonus` coin-time bonus (from the shared pool) paid to `account`.
    event Withdrawn(address indexed account, uint256 amount, uint256 bonus);
    event VestingClaimed(address indexed account, uint256 amount);

    /// @notice A committee-signed checkpoint: RLP([fields..., entries..., signatures...]).
    function submitCheckpoint(bytes calldata checkpoint) external;

    /// @notice Answers an open slice challenge with the sampled leaf and its Merkle proof.
    function openSlice(
        uint64 cycle,
        uint256 entryIndex,
        uint32 pktSeq,
        bytes calldata slice,
        bytes32 merkleRoot,
        uint32 count,
        bytes32[] calldata proof
    ) external;

    /// @notice Withdraws `amount` of the caller's unlocked rewards (oldest first) plus the coin-time bonus.
    function withdraw(uint256 amount) external;

    function rewardsOf(address account)
        external
        view
        returns (uint256 locked, uint256 unlocking, uint256 withdrawable, uint256 withdrawn, uint256 coinTime);

    function networkCoinTime() external view returns (uint256);

    /// @param status 0 none, 1 pending (in its challenge window), 2 applied
    function checkpointOf(uint64 cycle)
        external
        view
        returns (bytes32 checkpointHash, uint8 status, uint256 committedAt, uint256 challengeEndsMs, uint256 entryCount);

    function committeeOf(uint64 cycle) external view returns (address[] memory);

    function sessionOf(bytes32 sessionId) external view returns (uint64 seq, uint256 total);

    /// @return cumulativeBytes valued bytes so far, minted traffic NFC wei, rewardPerGb current rate (wei per 10^9 valued bytes)
    function stats() external view returns (uint256 cumulativeBytes, uint256 minted, uint256 rewardPerGb);

    /// @notice Team vesting: pays the caller's vested, unclaimed NFC.
    function claimVested() external;

    function vestingOf(address account) external view returns (uint256 amount, uint256 claimed, uint256 claimable);
}
