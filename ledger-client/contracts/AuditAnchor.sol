// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.26;

import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title AuditAnchor: Merkle roots of members' audit and record batches
/// @notice A gateway anchors the root of each batch of its hash-chained audit log and of its
/// record commitments, with the signature its TPM made over the root, so that a member cannot
/// later rewrite its history unnoticed: anyone can prove a leaf against an anchored root and check
/// the TPM signature with the key whose hash the ProviderRegistry lists for the member.
/// @dev The EVM (paris) has no P-256 verification, so the signature is carried in the event, not
/// checked here. Only the anchor time and kind are stored, keyed by (member, root); anchoring the
/// same root again is a no-op, so retries are safe.
contract AuditAnchor {
    /// @notice Batch kinds.
    uint8 public constant KIND_AUDIT = 1;
    uint8 public constant KIND_RECORDS = 2;

    /// @notice Upper bound on a signature's length (a DER ECDSA P-256 signature is <= 72 bytes;
    /// RSA-2048 is 256).
    uint256 public constant MAX_SIGNATURE_LENGTH = 512;

    /// @notice One batch as the member submits it.
    struct Anchor {
        uint8 kind; // KIND_AUDIT or KIND_RECORDS
        bytes32 root; // Merkle root of the batch
        uint64 firstSeq; // first sequence number covered (the member's own numbering)
        uint64 lastSeq; // last sequence number covered
        bytes signature; // TPM signature over the root
    }

    ProviderRegistry public immutable registry;

    /// @dev keccak256(member, root) => anchoredAt (uint40) | kind << 40 | blockNumber << 48
    mapping(bytes32 => uint256) private _anchors;

    event Anchored(
        address indexed member,
        bytes32 indexed root,
        uint8 indexed kind,
        uint64 firstSeq,
        uint64 lastSeq,
        bytes signature
    );

    error NotActiveMember(address account);
    error InvalidAnchor(uint256 index, string field);

    constructor(ProviderRegistry registry_) {
        registry = registry_;
    }

    /// @notice Anchors one batch root.
    /// @return anchored false if this member had already anchored this root (nothing changes)
    function anchor(Anchor calldata a) external returns (bool anchored) {
        if (!registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
        return _anchor(a, 0);
    }

    /// @notice Anchors many batch roots (all or nothing on invalid input; repeats are skipped).
    /// @return count number of roots newly anchored
    function anchorBatch(Anchor[] calldata anchors) external returns (uint256 count) {
        if (!registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
        for (uint256 i = 0; i < anchors.length; ++i) {
            if (_anchor(anchors[i], i)) ++count;
        }
    }

    /// @notice When and as what `member` anchored `root`; all zero if it did not.
    function anchorOf(
        address member,
        bytes32 root
    ) external view returns (uint40 anchoredAt, uint8 kind, uint64 blockNumber) {
        uint256 packed = _anchors[_key(member, root)];
        return (uint40(packed), uint8(packed >> 40), uint64(packed >> 48));
    }

    function _anchor(Anchor calldata a, uint256 index) private returns (bool) {
        if (a.kind != KIND_AUDIT && a.kind != KIND_RECORDS) revert InvalidAnchor(index, "kind");
        if (a.root == bytes32(0)) revert InvalidAnchor(index, "root");
        if (a.lastSeq < a.firstSeq) revert InvalidAnchor(index, "lastSeq");
        if (a.signature.length == 0 || a.signature.length > MAX_SIGNATURE_LENGTH) {
            revert InvalidAnchor(index, "signature");
        }
        bytes32 key = _key(msg.sender, a.root);
        if (_anchors[key] != 0) return false;
        _anchors[key] =
            uint256(uint40(block.timestamp)) |
            (uint256(a.kind) << 40) |
            (uint256(uint64(block.number)) << 48);
        emit Anchored(msg.sender, a.root, a.kind, a.firstSeq, a.lastSeq, a.signature);
        return true;
    }

    function _key(address member, bytes32 root) private pure returns (bytes32) {
        return keccak256(abi.encode(member, root));
    }
}
