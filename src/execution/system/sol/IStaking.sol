// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin Staking — native system contract at 0x0000000000000000000000000000000000001000
/// @notice Witness candidates, votes (1 NFC = 1 vote), unbonding and reward claims (DESIGN §4).
///         Reverts carry Error(string) reasons. Payouts credit the caller's balance without
///         running its code (no receive() call, no re-entrancy).
interface IStaking {
    event CandidateRegistered(address indexed candidate, uint16 bonusRatioBps, string url);
    event BonusRatioSet(address indexed candidate, uint16 bps);
    event Voted(address indexed voter, address indexed candidate, uint256 amount);
    event Unvoted(address indexed voter, address indexed candidate, uint256 amount, uint256 releaseTime);
    event Withdrawn(address indexed voter, uint256 amount);
    event RewardsClaimed(address indexed account, uint256 amount);

    /// @notice Registers the caller (an active RN with at least the RN pledge) as a candidate.
    /// @param bonusRatioBps share of its block rewards paid to its voters, ≤ 10000
    /// @param url at most 256 bytes (UTF-8)
    function registerCandidate(uint16 bonusRatioBps, string calldata url) external;

    /// @notice Sets the bonus ratio that takes effect at the next election (cycle boundary).
    function setBonusRatio(uint16 bonusRatioBps) external;

    /// @notice Votes `amount` wei for `candidate`; msg.value must equal `amount`.
    ///         Pending rewards of this position are paid to the caller first.
    function vote(address candidate, uint256 amount) external payable;

    /// @notice Removes votes; the NFC unbonds and can be withdrawn after the unbonding delay.
    ///         Pending rewards of this position are paid to the caller first.
    function unvote(address candidate, uint256 amount) external;

    /// @notice Pays every matured unbonding entry of the caller.
    function withdrawUnbonded() external;

    /// @notice Pays the caller's voter rewards over all positions plus its witness balance.
    function claimRewards() external;

    function getCandidates() external view returns (address[] memory);

    function candidate(address account)
        external
        view
        returns (
            bool registered,
            uint256 votes,
            int256 trust,
            uint16 bonusRatioBps,
            uint16 pendingBonusRatioBps,
            bool removed,
            string memory url
        );

    /// @notice The witness seats in force, in seat order; the zero address is a vacant seat.
    function getWitnesses() external view returns (address[] memory);

    function getStandby() external view returns (address[] memory);

    function votesOf(address voter) external view returns (address[] memory candidates, uint256[] memory amounts);

    /// @notice Voter rewards over all positions plus the witness balance, in wei.
    function pendingRewards(address account) external view returns (uint256);

    function unbonding(address voter) external view returns (uint256 locked, uint256 withdrawable);
}
