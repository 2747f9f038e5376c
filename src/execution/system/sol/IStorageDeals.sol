// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NetFlowCoin StorageDeals — native system contract at 0x0000000000000000000000000000000000001008
/// @notice Storage deals with proofs of possession (DESIGN §14). A provider pledged in NodeRegistry publishes an
///         offer; a client posts a deal on a file's Merkle root (src/deals/fileTree.ts: 4,096-byte chunks, leaf =
///         keccak256(chunk), keccak256 tree with the odd node promoted), escrowing price = ceil(size / MiB) ×
///         offer price × periods of its NB; the provider accepts with NFC collateral. Periods are global:
///         period = floor(block time in s / storageProofPeriodSec). In every period of the term the provider
///         proves the leaves challenge(id, period) names (drawn from a seed fixed at the period's first
///         block); at the first block of the next period a proved period pays price / periods to the provider,
///         a missed one slashes storageSlashBps of the collateral (paid to the client) and ends the deal (the
///         rest of the NB back to the client, the rest of the collateral to the provider); a period in which
///         the chain made no block is refunded to the client. Settlement runs before the block's transactions,
///         so it emits no events: read deal(id).status. Amounts: NB in NB wei (as INB), collateral in wei.
///         Status: 1 posted, 2 active, 3 completed (term over, collateral returned), 4 cancelled,
///         5 slashed (a missed proof ended it).
interface IStorageDeals {
    event OfferSet(address indexed provider, string endpoint, uint256 priceNbPerMiBPeriod, uint64 maxBytes);
    event OfferRemoved(address indexed provider);
    event DealPosted(
        uint256 indexed id, address indexed client, address indexed provider, bytes32 root, uint64 size, uint32 periods, uint256 price
    );
    event DealAccepted(uint256 indexed id, address indexed provider, uint256 collateral, uint64 firstPeriod, uint64 lastPeriod);
    event DealCancelled(uint256 indexed id, address indexed client, uint256 refund);
    event Proved(uint256 indexed id, address indexed provider, uint64 period);

    /// @notice A pledged provider publishes (or replaces) its offer: an http://host:port endpoint (≤ 200 bytes) where
    ///         its agent serves uploads and downloads, the NB price per MiB per period, the largest file it takes.
    function setOffer(string calldata endpoint, uint256 priceNbPerMiBPeriod, uint64 maxBytes) external;

    /// @notice The caller's offer is withdrawn (deals already posted or active are not affected).
    function removeOffer() external;

    /// @notice The client posts a deal with `provider` on a file of `size` bytes with Merkle root `root` for
    ///         `periods` periods; priceOf(provider, size, periods) NB of the caller go into escrow.
    function post(address provider, bytes32 root, uint64 size, uint32 periods) external returns (uint256 id);

    /// @notice The provider accepts a posted deal; msg.value ≥ storageCollateral is held as collateral.
    ///         The first period of the term is the one after the current period.
    function accept(uint256 id) external payable;

    /// @notice The client cancels a deal the provider has not accepted; the escrow comes back.
    function cancel(uint256 id) external;

    /// @notice The provider proves `period` (the current one) of an active deal: chunks[i] is the chunk at leaf
    ///         challenge(id, period)[i], proofs[i] its sibling path bottom-up. A wrong proof reverts.
    function prove(uint256 id, uint64 period, bytes[] calldata chunks, bytes32[][] calldata proofs) external;

    /// @notice A provider's offer (maxBytes 0: no offer).
    function offerOf(address provider)
        external
        view
        returns (string memory endpoint, uint256 priceNbPerMiBPeriod, uint64 maxBytes);

    /// @notice A deal (all zero for an unknown id). provedPeriod: the last period proved (0: none yet).
    function deal(uint256 id)
        external
        view
        returns (
            address client,
            address provider,
            bytes32 root,
            uint64 size,
            uint32 periods,
            uint256 price,
            uint256 paid,
            uint256 collateral,
            uint64 firstPeriod,
            uint64 provedPeriod,
            uint8 status
        );

    /// @notice How many deals were posted (ids are 1..dealCount).
    function dealCount() external view returns (uint256);

    /// @notice How many deals are active.
    function activeDealCount() external view returns (uint256);

    /// @notice The NB a deal of `size` bytes for `periods` periods with `provider` escrows at its current offer.
    function priceOf(address provider, uint64 size, uint32 periods) external view returns (uint256);

    /// @notice The period of the current block.
    function currentPeriod() external view returns (uint64);

    /// @notice The leaf indexes the provider must prove for `period`; reverts before the period has started.
    function challenge(uint256 id, uint64 period) external view returns (uint64[] memory indexes);
}
