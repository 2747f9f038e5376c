// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin PaymentChannels — native system contract at 0x0000000000000000000000000000000000001005
/// @notice NB payment channels from a consumer to a provider (DESIGN §13). The consumer deposits NB and
///         signs cumulative EIP-712 vouchers
///         Voucher(uint256 channelId,address provider,uint256 amount) in the domain
///         {name "NetFlowCoin PaymentChannels", version "1", chainId, verifyingContract 0x…1005};
///         the provider redeems the latest one, which pays only the increase into the pair's NB fuel
///         escrow (burned by the flow engine as fuel). Status: 1 open, 2 closing, 3 closed. Times in ms.
interface IPaymentChannels {
    event ChannelOpened(uint256 indexed id, address indexed consumer, address indexed provider, uint256 deposit);
    event ToppedUp(uint256 indexed id, uint256 amount, uint256 deposit);
    event Redeemed(uint256 indexed id, address indexed provider, uint256 amount, uint256 paid);
    event CloseStarted(uint256 indexed id, uint256 closeAt);
    event ChannelWithdrawn(uint256 indexed id, address indexed consumer, uint256 amount);

    /// @notice Moves `amount` NB of the caller into a new channel to `provider`; returns its id.
    function open(address provider, uint256 amount) external returns (uint256 id);

    /// @notice Adds `amount` NB of the caller (the consumer) to an open channel.
    function topUp(uint256 id, uint256 amount) external;

    /// @notice The provider redeems a voucher for cumulative `amount`; pays amount minus what was redeemed.
    function redeem(uint256 id, uint256 amount, bytes calldata signature) external returns (uint256 paid);

    /// @notice The consumer starts closing; returns when the challenge period ends (ms).
    function close(uint256 id) external returns (uint256 closeAt);

    /// @notice After the challenge period, the consumer takes back deposit minus redeemed.
    function withdraw(uint256 id) external returns (uint256 amount);

    function channel(uint256 id)
        external
        view
        returns (address consumer, address provider, uint256 deposit, uint256 redeemed, uint256 closeAt, uint8 status);

    function channelCount() external view returns (uint256);

    function channelCountOf(address account) external view returns (uint256);

    /// @notice Ids of the channels `account` is a party of, from position `start`, at most 256.
    function channelsOf(address account, uint256 start) external view returns (uint256[] memory ids);

    /// @notice The challenge period, ms.
    function challengePeriod() external view returns (uint256);
}
