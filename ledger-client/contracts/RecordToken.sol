// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.26;

import {AuditAnchor} from "./AuditAnchor.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title RecordToken: one ERC-721 token per patient chart at a custodian
/// @notice The custodian member holds the token on the patient's behalf; the token carries the
/// latest anchored record-batch root that covers the chart, so a peer can tell which version of
/// the chart it should be offered and verify it. Token id = uint256(keccak256(abi.encode(
/// patientToken, custodian))) for the custodian that minted it. Tokens move only between active
/// members (a chart changes custodian, e.g. when a practice is taken over).
/// @dev A minimal ERC-721 written here (no imports): balanceOf, ownerOf, transferFrom,
/// safeTransferFrom, approve, getApproved, setApprovalForAll, isApprovedForAll and ERC-165
/// supportsInterface(0x80ac58cd, 0x01ffc9a7). No metadata URI: a chart has no public metadata.
contract RecordToken {
    /// @dev bytes4(keccak256("onERC721Received(address,address,uint256,bytes)"))
    bytes4 private constant ERC721_RECEIVED = 0x150b7a02;

    struct Record {
        bytes32 patientToken;
        bytes32 latestRoot;
    }

    /// @dev One slot: owner and when the root last changed.
    struct Holder {
        address owner;
        uint64 updatedAt;
    }

    string public constant name = "Consortium patient record";
    string public constant symbol = "GWREC";

    ProviderRegistry public immutable registry;
    AuditAnchor public immutable anchors;
    uint8 private immutable _kindRecords; // AuditAnchor.KIND_RECORDS, read at deployment

    mapping(uint256 => Holder) private _holders;
    mapping(uint256 => Record) private _records;
    mapping(address => uint256) private _balances;
    mapping(uint256 => address) private _tokenApprovals;
    mapping(address => mapping(address => bool)) private _operatorApprovals;

    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
    event RecordRootUpdated(
        uint256 indexed tokenId,
        bytes32 indexed patientToken,
        address indexed custodian,
        bytes32 root
    );

    error NotActiveMember(address account);
    error NonexistentToken(uint256 tokenId);
    error NotOwnerNorApproved(address caller, uint256 tokenId);
    error WrongOwner(address from, uint256 tokenId);
    error InvalidReceiver(address to);
    error RootNotAnchored(address custodian, bytes32 root);
    error InvalidPatientToken(uint256 index);

    constructor(ProviderRegistry registry_, AuditAnchor anchors_) {
        registry = registry_;
        anchors = anchors_;
        _kindRecords = anchors_.KIND_RECORDS();
    }

    // ---------------------------------------------------------------- charts

    /// @notice The token id of `patientToken`'s chart minted by `custodian`.
    function recordId(bytes32 patientToken, address custodian) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(patientToken, custodian)));
    }

    /// @notice For each patient token: mints the caller's chart token if it does not exist yet,
    /// then sets its latest root to `root`, which the caller must have anchored as a record batch.
    /// @return minted number of tokens newly minted
    function mintOrUpdate(
        bytes32[] calldata patientTokens,
        bytes32 root
    ) external returns (uint256 minted) {
        if (!registry.isActive(msg.sender)) revert NotActiveMember(msg.sender);
        _requireAnchored(msg.sender, root);
        for (uint256 i = 0; i < patientTokens.length; ++i) {
            bytes32 patientToken = patientTokens[i];
            if (patientToken == bytes32(0)) revert InvalidPatientToken(i);
            uint256 id = recordId(patientToken, msg.sender);
            address owner = _holders[id].owner;
            if (owner == address(0)) {
                _records[id].patientToken = patientToken;
                _holders[id].owner = msg.sender;
                _balances[msg.sender] += 1;
                emit Transfer(address(0), msg.sender, id);
                ++minted;
            } else if (!_isAuthorized(owner, msg.sender, id)) {
                revert NotOwnerNorApproved(msg.sender, id);
            }
            _setRoot(id, patientToken, owner == address(0) ? msg.sender : owner, root);
        }
    }

    /// @notice Sets the latest root of existing tokens (owner or approved caller); the owner must
    /// have anchored `root` as a record batch.
    function updateRoots(uint256[] calldata tokenIds, bytes32 root) external {
        address checkedOwner;
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            uint256 id = tokenIds[i];
            address owner = _ownerOf(id);
            if (!_isAuthorized(owner, msg.sender, id)) revert NotOwnerNorApproved(msg.sender, id);
            if (owner != checkedOwner) {
                _requireAnchored(owner, root);
                checkedOwner = owner;
            }
            _setRoot(id, _records[id].patientToken, owner, root);
        }
    }

    /// @notice A chart token's patient token, custodian, latest root and when it was set.
    function recordOf(
        uint256 tokenId
    )
        external
        view
        returns (bytes32 patientToken, address custodian, bytes32 latestRoot, uint64 updatedAt)
    {
        Holder memory h = _holders[tokenId];
        if (h.owner == address(0)) revert NonexistentToken(tokenId);
        Record storage r = _records[tokenId];
        return (r.patientToken, h.owner, r.latestRoot, h.updatedAt);
    }

    // ---------------------------------------------------------------- ERC-721

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x80ac58cd || interfaceId == 0x01ffc9a7;
    }

    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert InvalidReceiver(owner);
        return _balances[owner];
    }

    function ownerOf(uint256 tokenId) external view returns (address) {
        return _ownerOf(tokenId);
    }

    function approve(address approved, uint256 tokenId) external {
        address owner = _ownerOf(tokenId);
        if (msg.sender != owner && !_operatorApprovals[owner][msg.sender]) {
            revert NotOwnerNorApproved(msg.sender, tokenId);
        }
        _tokenApprovals[tokenId] = approved;
        emit Approval(owner, approved, tokenId);
    }

    function getApproved(uint256 tokenId) external view returns (address) {
        _ownerOf(tokenId);
        return _tokenApprovals[tokenId];
    }

    function setApprovalForAll(address operator, bool approved) external {
        if (operator == address(0)) revert InvalidReceiver(operator);
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    function transferFrom(address from, address to, uint256 tokenId) public {
        address owner = _ownerOf(tokenId);
        if (owner != from) revert WrongOwner(from, tokenId);
        if (!_isAuthorized(owner, msg.sender, tokenId)) {
            revert NotOwnerNorApproved(msg.sender, tokenId);
        }
        // A chart is only ever held by a custodian member.
        if (to == address(0) || !registry.isActive(to)) revert InvalidReceiver(to);
        delete _tokenApprovals[tokenId];
        _balances[from] -= 1;
        _balances[to] += 1;
        _holders[tokenId].owner = to;
        emit Transfer(from, to, tokenId);
    }

    function safeTransferFrom(address from, address to, uint256 tokenId) external {
        safeTransferFrom(from, to, tokenId, "");
    }

    function safeTransferFrom(address from, address to, uint256 tokenId, bytes memory data) public {
        transferFrom(from, to, tokenId);
        if (to.code.length == 0) return;
        (bool ok, bytes memory ret) = to.call(
            abi.encodeWithSelector(ERC721_RECEIVED, msg.sender, from, tokenId, data)
        );
        if (!ok || ret.length < 32 || abi.decode(ret, (bytes4)) != ERC721_RECEIVED) {
            revert InvalidReceiver(to);
        }
    }

    // ---------------------------------------------------------------- internals

    function _ownerOf(uint256 tokenId) private view returns (address owner) {
        owner = _holders[tokenId].owner;
        if (owner == address(0)) revert NonexistentToken(tokenId);
    }

    function _isAuthorized(
        address owner,
        address spender,
        uint256 tokenId
    ) private view returns (bool) {
        return
            spender == owner ||
            _operatorApprovals[owner][spender] ||
            _tokenApprovals[tokenId] == spender;
    }

    function _requireAnchored(address custodian, bytes32 root) private view {
        (uint40 anchoredAt, uint8 kind, ) = anchors.anchorOf(custodian, root);
        if (anchoredAt == 0 || kind != _kindRecords) revert RootNotAnchored(custodian, root);
    }

    function _setRoot(uint256 id, bytes32 patientToken, address custodian, bytes32 root) private {
        _records[id].latestRoot = root;
        _holders[id].updatedAt = uint64(block.timestamp);
        emit RecordRootUpdated(id, patientToken, custodian, root);
    }
}
