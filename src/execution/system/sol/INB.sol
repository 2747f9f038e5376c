// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin NB — native system contract at 0x0000000000000000000000000000000000001003
/// @notice NetFlow Bandwidth (NB), the token that pays traffic fuel (DESIGN §6): a standard ERC-20
///         plus convert() (NFC → NB at the oracle price) and the oracle price set by the foundation.
///         NB is minted only by convert() and burned only by the protocol as traffic fuel.
interface INB {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    /// @notice `burned` NFC went to address 0, `toFoundation` to the foundation (after the burn cap).
    event Converted(address indexed account, uint256 nfcIn, uint256 nbOut, uint256 burned, uint256 toFoundation);
    event PriceSet(uint256 oldPrice, uint256 newPrice);
    /// @notice `amount` NB of `consumer` moved into its fuel escrow for `provider`, which now holds `total`.
    event Escrowed(address indexed consumer, address indexed provider, uint256 amount, uint256 total);
    /// @notice The escrow of (`consumer`, `provider`) can be withdrawn from `releaseAt` (ms since the epoch).
    event ReleaseRequested(address indexed consumer, address indexed provider, uint256 releaseAt);
    /// @notice `amount` NB left in the escrow of (`consumer`, `provider`) went back to the consumer.
    event EscrowReleased(address indexed consumer, address indexed provider, uint256 amount);

    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function approve(address spender, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);

    /// @notice Converts msg.value NFC into msg.value × price() / 1e18 NB for the caller. Only for an
    ///         account that held more than the genesis minimum (1,000 NFC on mainnet) before the call.
    function convert() external payable returns (uint256 nbOut);

    /// @notice The oracle price: NB wei per NFC.
    function price() external view returns (uint256);

    /// @notice Sets the oracle price; the foundation only.
    function setPrice(uint256 newPrice) external;

    /// @notice NFC wei burned by conversions so far.
    function burnedNfc() external view returns (uint256);

    /// @notice The first address that sent `account` NB by transfer/transferFrom (zero: none).
    function funder(address account) external view returns (address);

    /// @notice Moves `amount` of the caller's NB into its fuel escrow for `provider` (one escrow per
    ///         consumer and provider, covering all their sessions). When a checkpoint is applied, the
    ///         pair's traffic fuel is burned from this escrow first, then from the caller's balance.
    ///         Cancels a pending release. Escrowed NB still counts in totalSupply.
    function escrow(address provider, uint256 amount) external;

    /// @notice Starts the release of the caller's escrow for `provider`: it can be withdrawn from
    ///         releaseAt = block time + 2 flow cycles + the challenge window, in MILLISECONDS (like
    ///         every time the system contracts expose; block.timestamp × 1000 is at most 999 ms
    ///         earlier), so the traffic served until now can still be charged. Until it is withdrawn
    ///         the escrow is still charged. A request while one is pending keeps the earlier time.
    ///         Also accepted for a listed escrow at 0 (burned by fuel), so it can be withdrawn and
    ///         leave the list.
    function requestRelease(address provider) external;

    /// @notice From releaseAt on: returns what is left in the caller's escrow for `provider` to its
    ///         balance and clears the escrow.
    function withdrawEscrow(address provider) external returns (uint256 amount);

    /// @notice The fuel escrow of (`consumer`, `provider`): NB wei, and releaseAt in ms (0: no
    ///         release requested).
    function escrowOf(address consumer, address provider) external view returns (uint256 amount, uint256 releaseAt);

    /// @notice How many providers `consumer` has a fuel escrow with. A provider is listed from the
    ///         pair's first escrow() until withdrawEscrow(), so an escrow burned down to 0 by traffic
    ///         fuel stays listed until the consumer releases and withdraws it.
    function escrowCount(address consumer) external view returns (uint256);

    /// @notice The fuel escrows of `consumer`: for each listed provider, the escrow's NB wei and
    ///         releaseAt in ms (0: no release requested), as escrowOf gives them. AT MOST THE FIRST
    ///         256 of escrowCount(consumer) entries, in list order, NOT sorted: a provider is
    ///         appended when it is listed, and a withdrawal moves the last entry into the freed
    ///         place. Beyond 256, use escrowOf with a known provider. Includes escrows at 0.
    function escrowsOf(address consumer)
        external
        view
        returns (address[] memory providers, uint256[] memory amounts, uint256[] memory releaseAts);
}
