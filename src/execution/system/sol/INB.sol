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
}
