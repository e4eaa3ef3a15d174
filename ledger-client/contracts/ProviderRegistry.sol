// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.26;

/// @title ProviderRegistry: the consortium's members and their governance
/// @notice Lists the member organizations (one gateway ledger account each) with the public keys
/// other members need to reach them: the X25519 key payloads are encrypted to, the fingerprint of
/// the TLS certificate their gateway presents, and the hash of the TPM key that signs their batch
/// roots. It is also the consortium's governance: adding, suspending, reinstating and re-keying a
/// member, changing the quorum and changing consortium policy (such as emergency access) each need
/// approvals from `quorum` active members. There is no owner: no single key can take over. The
/// quorum also decides who holds custody of a patient's consent when custody is disputed (a member
/// registered a patient it does not treat): the decision is recorded here as an executed Custody
/// proposal and applied by anyone in ConsentRegistry (`applyCustodyDecision`), which this registry
/// does not know.
/// @dev Other contracts ask `isActive` before accepting a member's write, read `policy`, and read
/// executed Custody proposals through `getProposal`.
/// Nothing here is patient data; organization names and identifiers are public by design.
contract ProviderRegistry {
    /// @notice A member's standing. `None` means the account was never a member.
    enum Status {
        None,
        Active,
        Suspended
    }

    /// @notice What a proposal does once it has a quorum of approvals.
    enum Action {
        Add,
        Suspend,
        Reinstate,
        Rekey,
        SetQuorum,
        SetPolicy,
        Custody // appended: values of the others are unchanged
    }

    /// @notice A member's public description. Keys are given as hashes or raw 32-byte values so
    /// that a gateway can check what a peer presents without trusting the peer.
    struct MemberInfo {
        address account; // the gateway's ledger account; msg.sender of the member's writes
        string orgId; // organization identifier, e.g. an OID or national provider number
        string name; // display name
        bytes32 encryptionKey; // X25519 public key that transfer payloads are encrypted to
        bytes32 tlsFingerprint; // SHA-256 of the gateway TLS certificate (DER)
        bytes32 signingKeyHash; // SHA-256 of the TPM batch-signing public key (DER SPKI)
        string accreditation; // reference to the accreditation that admitted the member
    }

    struct Member {
        MemberInfo info;
        Status status;
        uint64 joinedAt;
        uint64 changedAt;
    }

    struct Proposal {
        Action action;
        bool executed;
        uint64 expiresAt;
        address proposer;
        address target; // the member concerned (zero for quorum and policy changes)
        bytes payload; // abi-encoded arguments of the action
        address[] approvers;
    }

    /// @notice Policy bit: a transfer for emergency treatment (ETREAT) may proceed without a
    /// consent grant (but never against an explicit deny); the TransferLog flags it.
    uint256 public constant POLICY_EMERGENCY_ACCESS = 1;

    /// @notice Approvals (from currently active members) a proposal needs to execute.
    uint8 public quorum;
    /// @notice Number of members whose status is Active.
    uint32 public activeCount;
    /// @notice Seconds a proposal stays open for approvals.
    uint64 public immutable proposalTtl;
    /// @notice Consortium policy bits (POLICY_*), changed only through SetPolicy proposals.
    uint256 public policy;

    address[] private _accounts;
    mapping(address => Member) private _members;
    mapping(bytes32 => address) private _byOrgId; // keccak256(orgId) => account
    Proposal[] private _proposals; // proposal id = index + 1
    mapping(uint256 => mapping(address => bool)) private _approved;

    event MemberAdded(
        address indexed account,
        bytes32 indexed orgIdHash,
        uint256 indexed proposalId,
        string orgId,
        string name,
        bytes32 encryptionKey,
        bytes32 tlsFingerprint,
        bytes32 signingKeyHash,
        string accreditation
    );
    event MemberSuspended(address indexed account, uint256 indexed proposalId);
    event MemberReinstated(address indexed account, uint256 indexed proposalId);
    event MemberRekeyed(
        address indexed account,
        uint256 indexed proposalId,
        bytes32 encryptionKey,
        bytes32 tlsFingerprint,
        bytes32 signingKeyHash
    );
    event QuorumChanged(uint8 quorum, uint256 indexed proposalId);
    event PolicyChanged(uint256 policy, uint256 indexed proposalId);
    /// @notice The quorum decided that `custodian` holds custody of `patientToken`'s consent.
    /// Nothing changes until someone applies proposal `proposalId` in ConsentRegistry
    /// (`applyCustodyDecision`).
    event CustodyDecided(
        bytes32 indexed patientToken,
        address indexed custodian,
        uint256 indexed proposalId
    );
    event ProposalCreated(
        uint256 indexed proposalId,
        Action indexed action,
        address indexed target,
        address proposer,
        uint64 expiresAt
    );
    event ProposalApproved(uint256 indexed proposalId, address indexed approver, uint256 approvals);
    event ProposalExecuted(
        uint256 indexed proposalId,
        Action indexed action,
        address indexed target
    );

    error NotActiveMember(address account);
    error InvalidMember(string field);
    error AlreadyMember(address account);
    error OrgIdTaken(string orgId);
    error UnknownMember(address account);
    error WrongStatus(address account, Status status);
    error InvalidQuorum(uint256 quorum, uint256 activeMembers);
    error UnknownProposal(uint256 proposalId);
    error ProposalClosed(uint256 proposalId);
    error AlreadyApproved(uint256 proposalId, address approver);
    /// @notice A proposal argument is invalid; `field` names it.
    error InvalidProposal(string field);

    modifier onlyActive() {
        if (_members[msg.sender].status != Status.Active) revert NotActiveMember(msg.sender);
        _;
    }

    /// @param founders the founding members, active from deployment (at least one)
    /// @param initialQuorum approvals a proposal needs; at least 2 when there are 2+ founders
    /// @param ttlSeconds how long a proposal stays open
    constructor(MemberInfo[] memory founders, uint8 initialQuorum, uint64 ttlSeconds) {
        if (founders.length == 0) revert InvalidMember("founders");
        if (ttlSeconds == 0) revert InvalidMember("proposalTtl");
        for (uint256 i = 0; i < founders.length; ++i) {
            _addMember(founders[i], 0);
        }
        _checkQuorum(initialQuorum, activeCount);
        quorum = initialQuorum;
        proposalTtl = ttlSeconds;
        emit QuorumChanged(initialQuorum, 0);
    }

    // ---------------------------------------------------------------- proposals

    /// @notice Proposes admitting a new member. The proposer's approval is counted at once.
    function proposeAdd(MemberInfo calldata info) external onlyActive returns (uint256) {
        _validateNew(info);
        return _propose(Action.Add, info.account, abi.encode(info));
    }

    /// @notice Proposes suspending an active member: its writes are refused while suspended.
    function proposeSuspend(address account) external onlyActive returns (uint256) {
        _requireStatus(account, Status.Active);
        return _propose(Action.Suspend, account, "");
    }

    /// @notice Proposes reinstating a suspended member.
    function proposeReinstate(address account) external onlyActive returns (uint256) {
        _requireStatus(account, Status.Suspended);
        return _propose(Action.Reinstate, account, "");
    }

    /// @notice Proposes replacing a member's keys (after rotation or compromise). Any active
    /// member may propose it, including the member concerned.
    function proposeRekey(
        address account,
        bytes32 encryptionKey,
        bytes32 tlsFingerprint,
        bytes32 signingKeyHash
    ) external onlyActive returns (uint256) {
        if (_members[account].status == Status.None) revert UnknownMember(account);
        _validateKeys(encryptionKey, tlsFingerprint, signingKeyHash);
        return
            _propose(
                Action.Rekey,
                account,
                abi.encode(encryptionKey, tlsFingerprint, signingKeyHash)
            );
    }

    /// @notice Proposes a new quorum (checked again when executed).
    function proposeQuorum(uint8 newQuorum) external onlyActive returns (uint256) {
        _checkQuorum(newQuorum, activeCount);
        return _propose(Action.SetQuorum, address(0), abi.encode(newQuorum));
    }

    /// @notice Proposes new consortium policy bits (POLICY_*).
    function proposePolicy(uint256 newPolicy) external onlyActive returns (uint256) {
        return _propose(Action.SetPolicy, address(0), abi.encode(newPolicy));
    }

    /// @notice Proposes that the active member `newCustodian` hold custody of a patient's consent,
    /// overriding the current custodian (e.g. a member that registered a patient it does not
    /// treat) or registering a patient nobody registered yet. Once executed, anyone applies the
    /// decision in ConsentRegistry with `applyCustodyDecision(proposalId)`.
    /// @param patientToken the patient's token (HMAC under the consortium key), not zero
    /// @param newCustodian an active member; checked again when the proposal executes
    function proposeCustody(
        bytes32 patientToken,
        address newCustodian
    ) external onlyActive returns (uint256) {
        if (patientToken == bytes32(0)) revert InvalidProposal("patientToken");
        _requireStatus(newCustodian, Status.Active);
        return _propose(Action.Custody, newCustodian, abi.encode(patientToken));
    }

    /// @notice Approves a proposal; executes it in the same transaction once the approvals of
    /// currently active members reach the quorum.
    /// @return executed whether this approval executed the proposal
    function approve(uint256 proposalId) external onlyActive returns (bool executed) {
        return _approve(proposalId, msg.sender);
    }

    // ---------------------------------------------------------------- views

    /// @notice Approvals a proposal needs now: `quorum`, but at least 2 once 2+ members are active.
    function requiredApprovals() external view returns (uint256) {
        return _required(quorum, activeCount);
    }

    /// @notice Whether `account` is an active member (the check other contracts make).
    function isActive(address account) external view returns (bool) {
        return _members[account].status == Status.Active;
    }

    /// @notice Whether consortium policy allows emergency transfers without a consent grant.
    function emergencyAccessEnabled() external view returns (bool) {
        return policy & POLICY_EMERGENCY_ACCESS != 0;
    }

    /// @notice A member's description, status and times (status None if never a member).
    function getMember(
        address account
    )
        external
        view
        returns (MemberInfo memory info, Status status, uint64 joinedAt, uint64 changedAt)
    {
        Member storage m = _members[account];
        return (m.info, m.status, m.joinedAt, m.changedAt);
    }

    /// @notice The account of the member with organization identifier `orgId` (zero if none).
    function accountOf(string calldata orgId) external view returns (address) {
        return _byOrgId[keccak256(bytes(orgId))];
    }

    /// @notice Number of accounts that were ever admitted (active or suspended).
    function memberCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @notice The `index`-th admitted account, in admission order.
    function memberAt(uint256 index) external view returns (address) {
        return _accounts[index];
    }

    /// @notice Number of proposals made; ids run from 1 to this number.
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @notice A proposal and how many currently active members have approved it.
    function getProposal(
        uint256 proposalId
    )
        external
        view
        returns (
            Action action,
            address target,
            address proposer,
            uint64 expiresAt,
            bool executed,
            uint256 approvals,
            bytes memory payload
        )
    {
        Proposal storage p = _proposal(proposalId);
        return (
            p.action,
            p.target,
            p.proposer,
            p.expiresAt,
            p.executed,
            _activeApprovals(p),
            p.payload
        );
    }

    /// @notice Whether `account` has approved proposal `proposalId`.
    function hasApproved(uint256 proposalId, address account) external view returns (bool) {
        return _approved[proposalId][account];
    }

    // ---------------------------------------------------------------- internals

    function _propose(
        Action action,
        address target,
        bytes memory payload
    ) private returns (uint256 id) {
        Proposal storage p = _proposals.push();
        id = _proposals.length;
        p.action = action;
        p.expiresAt = uint64(block.timestamp) + proposalTtl;
        p.proposer = msg.sender;
        p.target = target;
        p.payload = payload;
        emit ProposalCreated(id, action, target, msg.sender, p.expiresAt);
        _approve(id, msg.sender);
    }

    function _approve(uint256 id, address approver) private returns (bool) {
        Proposal storage p = _proposal(id);
        if (p.executed || block.timestamp >= p.expiresAt) revert ProposalClosed(id);
        if (_approved[id][approver]) revert AlreadyApproved(id, approver);
        _approved[id][approver] = true;
        p.approvers.push(approver);
        // Approvals of members suspended since they approved no longer count.
        uint256 approvals = _activeApprovals(p);
        emit ProposalApproved(id, approver, approvals);
        if (approvals < _required(quorum, activeCount)) return false;
        p.executed = true;
        _execute(id, p);
        emit ProposalExecuted(id, p.action, p.target);
        return true;
    }

    function _execute(uint256 id, Proposal storage p) private {
        address target = p.target;
        if (p.action == Action.Add) {
            _addMember(abi.decode(p.payload, (MemberInfo)), id);
        } else if (p.action == Action.Suspend) {
            _requireStatus(target, Status.Active);
            // Refuse a suspension that would leave too few members to ever reach the quorum:
            // lower the quorum first.
            if (_required(quorum, activeCount - 1) > activeCount - 1) {
                revert InvalidQuorum(quorum, activeCount - 1);
            }
            _setStatus(target, Status.Suspended);
            activeCount -= 1;
            emit MemberSuspended(target, id);
        } else if (p.action == Action.Reinstate) {
            _requireStatus(target, Status.Suspended);
            _setStatus(target, Status.Active);
            activeCount += 1;
            emit MemberReinstated(target, id);
        } else if (p.action == Action.Rekey) {
            (bytes32 enc, bytes32 tls, bytes32 sig) = abi.decode(
                p.payload,
                (bytes32, bytes32, bytes32)
            );
            Member storage m = _members[target];
            m.info.encryptionKey = enc;
            m.info.tlsFingerprint = tls;
            m.info.signingKeyHash = sig;
            m.changedAt = uint64(block.timestamp);
            emit MemberRekeyed(target, id, enc, tls, sig);
        } else if (p.action == Action.SetQuorum) {
            uint8 q = abi.decode(p.payload, (uint8));
            _checkQuorum(q, activeCount);
            quorum = q;
            emit QuorumChanged(q, id);
        } else if (p.action == Action.SetPolicy) {
            uint256 newPolicy = abi.decode(p.payload, (uint256));
            policy = newPolicy;
            emit PolicyChanged(newPolicy, id);
        } else if (p.action == Action.Custody) {
            // Only recorded here (the executed proposal and the event): ConsentRegistry applies it.
            _requireStatus(target, Status.Active);
            emit CustodyDecided(abi.decode(p.payload, (bytes32)), target, id);
        }
    }

    function _addMember(MemberInfo memory info, uint256 proposalId) private {
        _validateNew(info);
        bytes32 orgHash = keccak256(bytes(info.orgId));
        Member storage m = _members[info.account];
        m.info = info;
        m.status = Status.Active;
        m.joinedAt = uint64(block.timestamp);
        m.changedAt = uint64(block.timestamp);
        _byOrgId[orgHash] = info.account;
        _accounts.push(info.account);
        activeCount += 1;
        emit MemberAdded(
            info.account,
            orgHash,
            proposalId,
            info.orgId,
            info.name,
            info.encryptionKey,
            info.tlsFingerprint,
            info.signingKeyHash,
            info.accreditation
        );
    }

    function _validateNew(MemberInfo memory info) private view {
        if (info.account == address(0)) revert InvalidMember("account");
        if (bytes(info.orgId).length == 0 || bytes(info.orgId).length > 64) {
            revert InvalidMember("orgId");
        }
        if (bytes(info.name).length == 0 || bytes(info.name).length > 128) {
            revert InvalidMember("name");
        }
        if (bytes(info.accreditation).length > 128) revert InvalidMember("accreditation");
        _validateKeys(info.encryptionKey, info.tlsFingerprint, info.signingKeyHash);
        if (_members[info.account].status != Status.None) revert AlreadyMember(info.account);
        if (_byOrgId[keccak256(bytes(info.orgId))] != address(0)) revert OrgIdTaken(info.orgId);
    }

    function _validateKeys(bytes32 enc, bytes32 tls, bytes32 sig) private pure {
        if (enc == bytes32(0)) revert InvalidMember("encryptionKey");
        if (tls == bytes32(0)) revert InvalidMember("tlsFingerprint");
        if (sig == bytes32(0)) revert InvalidMember("signingKeyHash");
    }

    /// @dev A quorum must be reachable (<= active members) and, once there are two or more active
    /// members, need at least two of them, so that no single key governs the consortium.
    function _checkQuorum(uint256 q, uint256 active) private pure {
        if (q < _required(1, active) || q > active) revert InvalidQuorum(q, active);
    }

    /// @dev Approvals actually required: the quorum, but never fewer than two once two or more
    /// members are active (a consortium bootstrapped by one founder with quorum 1 stops being
    /// governed by one key as soon as a second member joins).
    function _required(uint256 q, uint256 active) private pure returns (uint256) {
        return active >= 2 && q < 2 ? 2 : q;
    }

    function _requireStatus(address account, Status wanted) private view {
        Status s = _members[account].status;
        if (s == Status.None) revert UnknownMember(account);
        if (s != wanted) revert WrongStatus(account, s);
    }

    function _setStatus(address account, Status s) private {
        Member storage m = _members[account];
        m.status = s;
        m.changedAt = uint64(block.timestamp);
    }

    function _proposal(uint256 id) private view returns (Proposal storage) {
        if (id == 0 || id > _proposals.length) revert UnknownProposal(id);
        return _proposals[id - 1];
    }

    function _activeApprovals(Proposal storage p) private view returns (uint256 n) {
        address[] storage approvers = p.approvers;
        for (uint256 i = 0; i < approvers.length; ++i) {
            if (_members[approvers[i]].status == Status.Active) ++n;
        }
    }
}
