// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin NodeRegistry — native system contract at 0x0000000000000000000000000000000000001001
/// @notice Node pledges (DESIGN §6). Roles: 1 = RN (root node), 2 = CN (central node), 3 = EN (edge node).
///         After exit the pledge unlocks linearly over the unlock period.
interface INodeRegistry {
    event Pledged(address indexed node, uint8 role, uint256 amount);
    event Exited(address indexed node, uint256 pledge);
    event PledgeWithdrawn(address indexed node, uint256 amount);

    /// @notice Pledges msg.value; the first pledge must be at least minPledge(role), later ones top up
    ///         (in the same role).
    function pledge(uint8 role) external payable;

    /// @notice Ends the caller's qualification at once; the pledge starts unlocking.
    function exit() external;

    /// @notice Pays the unlocked, not yet withdrawn part of the caller's pledge.
    function withdrawPledge() external;

    function nodeOf(address node)
        external
        view
        returns (uint8 role, uint256 pledge, uint256 exitTime, uint256 withdrawn, uint256 withdrawable);

    function rnPledge() external view returns (uint256);

    /// @notice The nodes of `role` that have not exited.
    function nodesByRole(uint8 role) external view returns (address[] memory);

    /// @notice The minimum first pledge of `role` (1 RN, 2 CN, 3 EN).
    function minPledge(uint8 role) external view returns (uint256);
}
