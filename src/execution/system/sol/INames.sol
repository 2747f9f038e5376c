// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin Names — native system contract at 0x0000000000000000000000000000000000001007
/// @notice name → owner, node id, endpoint (DESIGN §14). A name is 3–32 characters of a-z, 0-9 and '-'
///         (not first or last). Registering locks NFC for the term: the lock comes back at release, or
///         to the old owner when someone registers the name again after it expired. Times are ms.
interface INames {
    event Registered(address indexed owner, string name, uint256 expiresAt, uint256 lock);
    event Renewed(address indexed owner, string name, uint256 expiresAt, uint256 lock);
    event NameTransferred(address indexed from, address indexed to, string name);
    event RecordSet(address indexed owner, string name, bytes32 nodeId, string endpoint);
    event LockReturned(address indexed owner, string name, uint256 amount);

    /// @notice Registers a free or expired name until block time + termMs; msg.value ≥ lockFor(termMs) is locked.
    function register(string calldata name, uint64 termMs, bytes32 nodeId, string calldata endpoint) external payable;

    /// @notice The owner moves the expiry termMs later; msg.value ≥ lockFor(termMs) joins the lock.
    function renew(string calldata name, uint64 termMs) external payable;

    /// @notice The owner hands the name, its record and its lock to `to`.
    function transfer(string calldata name, address to) external;

    /// @notice The owner sets the node id and endpoint.
    function setRecord(string calldata name, bytes32 nodeId, string calldata endpoint) external;

    /// @notice The owner deletes the record (live or expired) and gets the whole lock back.
    function release(string calldata name) external;

    /// @notice A live name's record; reverts for an invalid, unknown or expired name.
    function resolve(string calldata name)
        external
        view
        returns (address owner, bytes32 nodeId, string memory endpoint, uint256 expiresAt);

    /// @notice The stored record, live or expired (all zero for a free name).
    function recordOf(string calldata name)
        external
        view
        returns (address owner, bytes32 nodeId, string memory endpoint, uint256 expiresAt, uint256 lock);

    /// @notice The NFC (wei) a term of termMs locks.
    function lockFor(uint64 termMs) external view returns (uint256);

    /// @notice How many names have a record.
    function nameCount() external view returns (uint256);
}
